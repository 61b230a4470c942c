// Every command of archctl, in the order `archctl --help` lists them. Adding a
// command is one file in this directory exporting `register(program)` and one
// line below. Commands read global options (--kubeconfig, --context,
// -n/--namespace, --quiet, --no-color) with contextOf(cmd).
import type { Command } from "commander";
import { register as apply } from "./apply.ts";
import { register as blueprints } from "./blueprints.ts";
import { register as completion } from "./completion.ts";
import { register as crd } from "./crd.ts";
import { register as deleteCommand } from "./delete.ts";
import { register as dev } from "./dev.ts";
import { register as env } from "./env.ts";
import { register as estimate } from "./estimate.ts";
import { register as get } from "./get.ts";
import { register as graph } from "./graph.ts";
import { register as init } from "./init.ts";
import { register as install } from "./install.ts";
import { register as operator } from "./operator.ts";
import { register as plan } from "./plan.ts";
import { register as render } from "./render.ts";
import { register as uninstall } from "./uninstall.ts";
import { register as validate } from "./validate.ts";

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  // authoring (offline)
  blueprints,
  init,
  validate,
  render,
  graph,
  estimate,
  // cluster
  apply,
  plan,
  get,
  deleteCommand,
  env,
  // operator and installation
  install,
  uninstall,
  operator,
  crd,
  dev,
  completion,
];
