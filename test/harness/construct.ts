/** The message of the error `build` throws; fails the test when it throws none. */
export function errorOf(build: () => unknown): string {
    try {
        build();
    } catch (error) {
        return error instanceof Error ? error.message : String(error);
    }
    throw new Error("expected an error, but none was thrown");
}
