// The part of swagger-ui-dist's browser bundle that the docs page uses (the package has no types).
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  interface SwaggerUIOptions {
    url: string;
    dom_id: string;
    [option: string]: unknown;
  }
  interface SwaggerUIBundleFn {
    (options: SwaggerUIOptions): unknown;
    presets: { apis: unknown };
  }
  const SwaggerUIBundle: SwaggerUIBundleFn;
  export default SwaggerUIBundle;
}
