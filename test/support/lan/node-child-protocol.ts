// Messages between a test (parent) and a Node child in a namespace, over Node's IPC channel with
// 'advanced' serialization (structured clone: Buffers, Maps, BigInts and Dates survive).
//   parent -> child: call
//   child -> parent: ready (once, after the agent module loaded), result | error (one per call), event
// Closing the channel (parent disconnect) asks the child to run the agent's shutdown() and exit.

export interface CallMessage {
  readonly t: 'call';
  readonly id: number;
  readonly method: string;
  readonly args: unknown[];
}

export interface ReadyMessage {
  readonly t: 'ready';
  readonly methods: string[];
}

export interface ResultMessage {
  readonly t: 'result';
  readonly id: number;
  readonly value: unknown;
}

export interface ErrorMessage {
  readonly t: 'error';
  readonly id: number;
  readonly message: string;
  readonly stack?: string;
}

export interface EventMessage {
  readonly t: 'event';
  readonly name: string;
  readonly args: unknown[];
}

export type ParentMessage = CallMessage;
export type ChildMessage = ReadyMessage | ResultMessage | ErrorMessage | EventMessage;

/** The export an agent module may provide to be told the parent closed the channel. */
export const SHUTDOWN_EXPORT = 'shutdown';
