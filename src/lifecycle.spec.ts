import { gracefulStop, StopStep } from './lifecycle';

/** Runs the stop's handler and resolves with the exit code it chose and what it wrote to stderr. */
function stopWith(steps: StopStep[], deadlineMs: number) {
  const written: string[] = [];
  const write = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    const stop = gracefulStop(steps, deadlineMs, (code) => {
      write.mockRestore();
      resolve({ code, stderr: written.join('') });
    });
    stop();
    stop(); // a second signal changes nothing
  });
}

describe('gracefulStop', () => {
  it('runs the steps in order, once, and exits 0', async () => {
    const ran: string[] = [];
    const step = (name: string) => ({ name, run: async () => void ran.push(name) });
    const stopped = await stopWith([step('draining'), step('closing')], 5_000);
    expect(stopped).toEqual({ code: 0, stderr: '' });
    expect(ran).toEqual(['draining', 'closing']);
  });

  it('exits 1 at the deadline, naming the step that never finished', async () => {
    const never = { name: 'closing the database', run: () => new Promise(() => undefined) };
    const after = { name: 'after', run: jest.fn() };
    const stopped = await stopWith([{ name: 'draining', run: () => undefined }, never, after], 50);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/did not finish within 50 ms \(still closing the database\)/);
    expect(after.run).not.toHaveBeenCalled();
  });

  it("exits 1 when a step fails, with the step and the error's message", async () => {
    const failing = {
      name: 'closing the application',
      run: () => Promise.reject(new Error('boom')),
    };
    const stopped = await stopWith([failing], 5_000);
    expect(stopped).toEqual({
      code: 1,
      stderr: 'order-service: the graceful stop failed while closing the application: boom\n',
    });
  });
});
