/** `workspace/executeCommand` on the language server, as the client's features call it. */
import type * as vscode from 'vscode';

export type ServerCommand = <T>(command: string, args: unknown[], token?: vscode.CancellationToken) => Promise<T>;
