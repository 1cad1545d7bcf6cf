/**
 * The program (a) of `npm run bench`: the stack's components for a synthetic environment, from
 * the top level of a program module, as `rawProgram.ts` writes the baseline (see there why both
 * run that way).
 */
import { deployMesh } from "../../stacks/program";
import { syntheticEnvironment } from "./generate";
import { programInput } from "./programInput";

deployMesh(syntheticEnvironment(programInput.services), "bench");
