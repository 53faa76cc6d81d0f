// One timer for a pure state machine that says when it next needs the time (nextTimer()): re-armed after
// every input, fired with Date.now(), cleared on stop so a redeploy leaves no timer behind.
export class CoreTimer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly fire: (now: number) => void) {}

  arm(at: number | undefined): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined || this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.fire(Date.now());
      },
      Math.max(0, at - Date.now()),
    );
  }

  stop(): void {
    this.stopped = true;
    this.arm(undefined);
  }
}
