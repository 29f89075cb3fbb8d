/** Browser code, imported by ./index.ts only as text (served to the page, never run here). */
declare const text: string;
export default text;
