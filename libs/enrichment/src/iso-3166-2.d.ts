// iso-3166-2 ships no typings; only the parts this lib reads are declared.
declare module 'iso-3166-2' {
  interface Iso31662Subdivision {
    type: string;
    name: string;
  }
  interface Iso31662Country {
    name: string;
    sub: Record<string, Iso31662Subdivision>;
  }
  const iso31662: {
    data: Record<string, Iso31662Country>;
  };
  export default iso31662;
}
