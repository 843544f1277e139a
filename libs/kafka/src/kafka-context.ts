import { BaseRpcContext } from '@nestjs/microservices';

type ContextArgs = [topic: string, partition: number, attempt: number, heartbeat: () => Promise<void>];

/** Handler context: where the message(s) came from, which attempt this is, and a heartbeat for long work. */
export class KafkaBatchContext extends BaseRpcContext<ContextArgs> {
  getTopic(): string {
    return this.args[0];
  }
  getPartition(): number {
    return this.args[1];
  }
  getAttempt(): number {
    return this.args[2];
  }
  heartbeat(): Promise<void> {
    return this.args[3]();
  }
}
