import type { ChildProcess } from 'node:child_process';
import { reportFailure } from './prerequisites.ts';
import { stopOnSignals, stopProcess } from './processes.ts';

/**
 * How `npm start` and `npm run keycloak` print and stop, so both behave alike: lines carry the
 * script's name, and Ctrl-C, SIGTERM, the parent going away, a failure or a child exiting on its own
 * all lead to one stop that ends every watched child (each in its own process group, see
 * `stopProcess`) before the script exits.
 */
export class Supervisor {
  private readonly prefix: string;
  private readonly children: { readonly name: string; readonly process: ChildProcess }[] = [];
  private stopping = false;

  /** `prefix` names the script in its output, as in `[stack] ...`. */
  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Prints one line under the script's name; bound, so it can be handed on as a logger. */
  readonly say = (line: string): void => {
    console.log(`[${this.prefix}] ${line}`);
  };

  /**
   * Runs `main` with the signals wired to `stop`; a failure is reported (a missing prerequisite as
   * its one sentence) and stops everything with exit code 1.
   */
  run(main: () => Promise<void>): void {
    stopOnSignals(() => void this.stop(0));
    main().catch(async (error: unknown) => {
      reportFailure(this.prefix, error);
      await this.stop(1);
    });
  }

  /**
   * Stops `child` when the script stops. A child that exits before then leaves the script without
   * something it needs: that is reported, ending with `consequence`, and everything stops with 1.
   */
  watch(name: string, child: ChildProcess, consequence: string): void {
    this.children.push({ name, process: child });
    child.once('exit', (code, signal) => {
      if (!this.stopping) {
        console.error(
          `[${this.prefix}] ${name} exited unexpectedly (${signal ?? `code ${code}`}); ${consequence}`,
        );
        void this.stop(1);
      }
    });
  }

  /**
   * Stops the watched children, last started first (the services before the Keycloak they use),
   * then exits with `code`. A second call while stopping exits at once, without waiting for them.
   */
  async stop(code: number): Promise<never> {
    if (!this.stopping) {
      this.stopping = true;
      // Nothing to announce when nothing was started: a missing prerequisite stays one sentence.
      if (this.children.length > 0) {
        this.say('stopping ...');
        for (const child of [...this.children].reverse()) {
          await stopProcess(child.process);
          this.say(`${child.name} stopped`);
        }
      }
    }
    process.exit(code);
  }
}
