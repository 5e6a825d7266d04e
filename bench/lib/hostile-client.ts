/**
 * The hostile scenario's attacker as a process of its own (bench/lib/hostile.ts starts it): runs
 * the attack its one argument describes and prints what it sent and was answered, as JSON.
 */
import { attack, type AttackOptions } from './hostile.ts';

const traffic = await attack(JSON.parse(process.argv[2] ?? '{}') as AttackOptions);
process.stdout.write(`${JSON.stringify(traffic)}\n`);
