/**
 * The operations extraction's main thread sends its helper (file-writer.ts to
 * write-worker.ts): records of WIDTH numbers in one Float64Array per chunk.
 * DATA  [kind, fd, at, len]: write bytes at..at+len of the chunk.
 * COPY  [kind, fd, i, len]: write the i-th copy sent beside the chunk.
 * END   [kind, fd, uid, gid, mode, mtime seconds, mtime nanoseconds, chown]: finish and close.
 * ABANDON [kind, fd]: close an unfinished file.
 */
export const WIDTH = 8;
export const DATA = 0;
export const COPY = 1;
export const END = 2;
export const ABANDON = 3;
