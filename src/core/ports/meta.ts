/** Small named values the store keeps for itself (marks, settings). */
export interface Meta {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
}
