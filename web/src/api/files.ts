// Uploaded images (`/api/files`): a picture is sent as multipart field `file`, stored scaled and
// re-encoded, and referred to by its id (a chat message's `image_ids`). Reading one back needs
// the owner's login: the session cookie goes with an `<img>` of this origin, so `fileUrl` can be
// used as a `src` directly.

import { apiSend, apiUpload } from './client.ts';

/** What `POST /api/files` answers. */
export interface UploadedFile {
  id: string;
  /** `image/png` or `image/jpeg` (everything but PNG is re-encoded as JPEG). */
  mime: string;
  width: number;
  height: number;
  size: number;
  created_at: string;
}

/** The image types the server accepts. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

/** The largest file the server accepts (10 MiB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** Whether `file` is an image of a type the server takes. */
export function isAcceptedImage(file: Pick<File, 'type'>): boolean {
  return (IMAGE_TYPES as readonly string[]).includes(file.type);
}

/** `POST /api/files` → 201 with the stored image. */
export function uploadImage(file: File, signal?: AbortSignal): Promise<UploadedFile> {
  const form = new FormData();
  form.append('file', file, file.name || 'image');
  return apiUpload<UploadedFile>('/api/files', form, { signal });
}

/** `GET /api/files/{id}`: the bytes (the owner's session cookie authenticates it). */
export function fileUrl(id: string): string {
  return `/api/files/${encodeURIComponent(id)}`;
}

/** `DELETE /api/files/{id}` → 204. */
export function deleteFile(id: string): Promise<void> {
  return apiSend<void>('DELETE', fileUrl(id));
}
