import { Topics, type DeliveryResultDto } from '@hookstream/contracts';
import { ProducerUnavailableError, type EventProducer, type OutboundMessage } from '@hookstream/kafka';
import { RESULT_EVENT_TYPES, ResultsPublisher } from './results.publisher';

function result(deliveryId: string, outcome: DeliveryResultDto['outcome'] = 'succeeded'): DeliveryResultDto {
  return {
    deliveryId, webhookId: `msg_${deliveryId}`, accountId: 'acc_1', endpointId: 'ep_1', eventId: 'evt_1', eventType: 'purchase', attempt: 1,
    outcome, httpStatus: 200, latencyMs: 3, error: null, nextAttemptAt: null, attemptedAt: '2026-12-04T10:00:00.000Z',
  };
}

/** A producer whose sends the test settles by hand, to see what each caller waits for. */
function manualProducer() {
  const sends: { topic: string; messages: OutboundMessage[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const producer: EventProducer = {
    send: (topic, messages) => new Promise<void>((resolve, reject) => sends.push({ topic, messages, resolve, reject })),
  };
  return { producer, sends };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ResultsPublisher', () => {
  it('sends the results of one event-loop turn as one producer send, and resolves each only once that send is acknowledged', async () => {
    const { producer, sends } = manualProducer();
    const publisher = new ResultsPublisher(producer);
    let done = 0;
    const all = [result('dlv_1'), result('dlv_2', 'endpoint_disabled'), result('dlv_3')].map((r) => publisher.publish(r).then(() => done++));
    await tick();
    expect(sends).toHaveLength(1);
    expect(sends[0].topic).toBe(Topics.deliveryResults);
    expect(sends[0].messages.map((m) => (m.value as DeliveryResultDto).deliveryId)).toEqual(['dlv_1', 'dlv_2', 'dlv_3']);
    expect(sends[0].messages.map((m) => m.key)).toEqual(['ep_1', 'ep_1', 'ep_1']);
    expect(sends[0].messages[1].envelope?.type).toBe(RESULT_EVENT_TYPES.endpointDisabled);
    expect(sends[0].messages[0].envelope?.type).toBe(RESULT_EVENT_TYPES.attempted);
    // Stable ce_id per (delivery, attempt), distinct per delivery.
    expect(new Set(sends[0].messages.map((m) => m.envelope?.id)).size).toBe(3);
    await tick();
    expect(done).toBe(0);
    sends[0].resolve();
    await Promise.all(all);
    expect(done).toBe(3);
    expect(publisher.sends).toBe(1);
  });

  it('a failed send fails every result in it; results published after it go out in a new send', async () => {
    const { producer, sends } = manualProducer();
    const publisher = new ResultsPublisher(producer);
    const first = [publisher.publish(result('dlv_1')), publisher.publish(result('dlv_2'))];
    await tick();
    const later = publisher.publish(result('dlv_3'));
    await tick();
    expect(sends).toHaveLength(2);
    expect(sends[1].messages).toHaveLength(1);
    sends[0].reject(new ProducerUnavailableError('Kafka did not acknowledge within 5000 ms'));
    sends[1].resolve();
    await expect(first[0]).rejects.toThrow(ProducerUnavailableError);
    await expect(first[1]).rejects.toThrow(ProducerUnavailableError);
    await expect(later).resolves.toBeUndefined();
  });

  it('a producer that throws instead of rejecting still fails the results rather than leaving them waiting', async () => {
    const producer: EventProducer = {
      send: () => {
        throw new Error('producer is not connected');
      },
    };
    await expect(new ResultsPublisher(producer).publish(result('dlv_1'))).rejects.toThrow('producer is not connected');
  });
});
