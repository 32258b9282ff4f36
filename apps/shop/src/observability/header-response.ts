/** The part of the platform's response these controllers use (Express's, under `@Res({ passthrough: true })`). */
export interface HeaderResponse {
  setHeader(name: string, value: string): unknown;
}
