// node-gyp-build ships no types; this is the one call the link loader makes.
declare module 'node-gyp-build' {
  /** Loads the addon of the package rooted at `dir`: build/Release, build/Debug, then prebuilds/. */
  function load(dir: string): unknown;
  export = load;
}
