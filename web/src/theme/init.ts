// Imported first by the entry module: applies the stored theme before anything renders and
// starts following the system setting.
import { initTheme } from './theme.ts';

initTheme();
