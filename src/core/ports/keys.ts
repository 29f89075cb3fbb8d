/** CI keys: a name pointing at a record. */
export interface KeyRow {
  name: string;
  record: string;
  updatedAt: number;
}

export interface Keys {
  get(name: string): Promise<string | undefined>;
  set(name: string, record: string): Promise<void>;
  list(): Promise<KeyRow[]>;
  delete(name: string): Promise<boolean>;
}
