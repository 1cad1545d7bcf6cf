import { installMocks, ResourceLog, settled } from "./mocks";

/**
 * Runs `build` (which creates resources) under Pulumi's mocks and returns everything it
 * registered, once registration has settled. The log is shared; each call starts it empty.
 */
export async function construct(build: () => unknown): Promise<ResourceLog> {
    const log = await installMocks();
    await settled(log);
    log.clear();
    build();
    await settled(log);
    return log;
}

/** The message of the error `build` throws; fails the test when it throws none. */
export function errorOf(build: () => unknown): string {
    try {
        build();
    } catch (error) {
        return error instanceof Error ? error.message : String(error);
    }
    throw new Error("expected an error, but none was thrown");
}
