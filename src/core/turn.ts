/**
 * A real turn of the event loop. The store is synchronous underneath, so a chain of
 * awaits never lets a server answer in between; long work calls this now and then.
 */
export const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
