// The header is the module; this file gives the target a source to build.
