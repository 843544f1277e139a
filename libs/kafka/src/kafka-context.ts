import { BaseRpcContext } from '@nestjs/microservices';

type ContextArgs = [topic: string, partitions: readonly number[], attempt: number, heartbeat: () => Promise<void>];

/**
 * Handler context: where the message(s) came from, which attempt this is, and a heartbeat for long work.
 * A batch handler's call may hold the messages of several partitions of its topic (see "One call per
 * fetch" in the README): each message says its own partition (`InboundMessage.partition`).
 */
export class KafkaBatchContext extends BaseRpcContext<ContextArgs> {
  getTopic(): string {
    return this.args[0];
  }
  /** The partitions whose messages this call holds (one for a single message or an unmerged batch). */
  getPartitions(): readonly number[] {
    return this.args[1];
  }
  /** The partition of a call that holds one partition's messages; throws for a merged call. */
  getPartition(): number {
    const parts = this.args[1];
    if (parts.length !== 1) {
      throw new Error(
        `this call of ${this.args[0]} holds the messages of partitions ${parts.join(', ')}: read each message's partition (InboundMessage.partition), or declare the handler with { mergePartitions: false }`,
      );
    }
    return parts[0];
  }
  getAttempt(): number {
    return this.args[2];
  }
  heartbeat(): Promise<void> {
    return this.args[3]();
  }
}
