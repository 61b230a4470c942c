// Counts the modules a process loads (test/bench, section 5): a synchronous
// load hook sees every module (ours, npm packages') and prints the count to
// stderr at exit: a start-up figure that, unlike wall time, does not move
// with the load of a shared machine.
//
//   node --import ./test/bench/count-modules.mjs dist/cli/archctl.js --version
import { writeSync } from "node:fs";
import { registerHooks } from "node:module";

const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on("exit", () => {
  const urls = [...loaded];
  const npm = urls.filter((u) => u.includes("/node_modules/")).length;
  const builtin = urls.filter((u) => u.startsWith("node:")).length;
  const ours = urls.length - npm - builtin;
  // node: built-ins are left out: they come from Node's own snapshot/cache.
  writeSync(2, `archctl-bench modules: ${ours + npm} ours ${ours} npm ${npm}\n`);
});
