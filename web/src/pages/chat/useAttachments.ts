// Images attached to the next message: each one uploads at once (`POST /api/files`) and its id
// goes with the message (`image_ids`). At most four; a file of another type or over 10 MiB is
// shown with its problem and never sent. Removing one cancels its upload, or deletes the stored
// image (best effort) when it was not sent yet. Files come from the picker, a drop or a paste.

import { useCallback, useEffect, useRef, useState } from 'react';
import { MAX_IMAGE_BYTES, deleteFile, isAcceptedImage, uploadImage } from '../../api/files.ts';

/** Images one message may carry (the server's limit). */
export const MAX_ATTACHMENTS = 4;

export interface Attachment {
  key: string;
  name: string;
  /** A local preview (object URL) of the picked file, when the browser can make one. */
  preview: string | null;
  status: 'uploading' | 'done' | 'error';
  /** The stored image, once uploaded. */
  id: string | null;
  /** A problem found before uploading (not sent at all). */
  problem: 'type' | 'size' | null;
  /** Why the upload failed. */
  error: unknown;
}

export interface Attachments {
  items: Attachment[];
  /** Adds files (as many as there is room for) and starts their uploads. */
  add(files: Iterable<File>): void;
  remove(key: string): void;
  /** Forgets them after a send: they belong to the message now. */
  clear(): void;
  /** Ids of the uploaded ones, in order. */
  ids: string[];
  /** An upload is still running. */
  uploading: boolean;
  /** No room for more. */
  full: boolean;
  /** The last files added did not all fit. */
  overflow: boolean;
}

/** The files of a drop or a paste (a paste may only list them as items). */
export function filesOf(data: DataTransfer | null): File[] {
  if (!data) return [];
  const files = Array.from(data.files ?? []);
  if (files.length > 0) return files;
  return Array.from(data.items ?? [])
    .filter((item) => item.kind === 'file')
    .map((item) => item.getAsFile())
    .filter((file): file is File => file !== null);
}

/** Whether a drag carries files (its types are all that can be read before the drop). */
export function carriesFiles(data: DataTransfer | null): boolean {
  return Array.from(data?.types ?? []).includes('Files');
}

function previewOf(file: File): string | null {
  return typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null;
}

function release(preview: string | null): void {
  if (preview && typeof URL.revokeObjectURL === 'function') URL.revokeObjectURL(preview);
}

function isAbort(error: unknown): boolean {
  return (error instanceof DOMException || error instanceof Error) && error.name === 'AbortError';
}

let keys = 0;

export function useAttachments(): Attachments {
  const [items, setItems] = useState<Attachment[]>([]);
  const [overflow, setOverflow] = useState(false);
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const uploads = useRef(new Map<string, AbortController>());

  const update = useCallback((key: string, change: Partial<Attachment>) => {
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }, []);

  const add = useCallback(
    (files: Iterable<File>) => {
      const all = Array.from(files);
      const room = Math.max(0, MAX_ATTACHMENTS - itemsRef.current.length);
      const taken = all.slice(0, room);
      setOverflow(all.length > taken.length);
      if (taken.length === 0) return;
      const added = taken.map((file): Attachment => {
        keys += 1;
        const problem = !isAcceptedImage(file) ? 'type' : file.size > MAX_IMAGE_BYTES ? 'size' : null;
        return {
          key: `attachment-${keys}`,
          name: file.name || 'image',
          preview: problem === null ? previewOf(file) : null,
          status: problem === null ? 'uploading' : 'error',
          id: null,
          problem,
          error: null,
        };
      });
      // The ref too: a second add before the re-render must see these.
      itemsRef.current = [...itemsRef.current, ...added];
      setItems(itemsRef.current);
      added.forEach((item, index) => {
        if (item.status !== 'uploading') return;
        const controller = new AbortController();
        uploads.current.set(item.key, controller);
        uploadImage(taken[index]!, controller.signal).then(
          (stored) => {
            uploads.current.delete(item.key);
            update(item.key, { status: 'done', id: stored.id });
          },
          (error: unknown) => {
            uploads.current.delete(item.key);
            if (!isAbort(error)) update(item.key, { status: 'error', error });
          },
        );
      });
    },
    [update],
  );

  const remove = useCallback((key: string) => {
    const item = itemsRef.current.find((entry) => entry.key === key);
    if (!item) return;
    uploads.current.get(key)?.abort();
    uploads.current.delete(key);
    if (item.status === 'done' && item.id) void deleteFile(item.id).catch(() => {});
    release(item.preview);
    itemsRef.current = itemsRef.current.filter((entry) => entry.key !== key);
    setItems(itemsRef.current);
    setOverflow(false);
  }, []);

  const clear = useCallback(() => {
    for (const controller of uploads.current.values()) controller.abort();
    uploads.current.clear();
    for (const item of itemsRef.current) release(item.preview);
    itemsRef.current = [];
    setItems([]);
    setOverflow(false);
  }, []);

  // Leaving the page: stop the uploads and let the previews go.
  useEffect(
    () => () => {
      for (const controller of uploads.current.values()) controller.abort();
      uploads.current.clear();
      for (const item of itemsRef.current) release(item.preview);
    },
    [],
  );

  return {
    items,
    add,
    remove,
    clear,
    ids: items.filter((item) => item.status === 'done' && item.id).map((item) => item.id!),
    uploading: items.some((item) => item.status === 'uploading'),
    full: items.length >= MAX_ATTACHMENTS,
    overflow,
  };
}
