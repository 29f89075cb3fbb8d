/** Stylesheets are imported as text (`with { type: "text" }`), embedded in the binary. */
declare module "*.css" {
  const text: string;
  export default text;
}
