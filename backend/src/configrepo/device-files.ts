import type { ConfigRepositoryConfig } from './config.js';

// Which file of the config repository is which device's config: the configured files first, then
// the file pattern; the name found goes through the configured device names (`devices:`), so a
// file named edge-1.example.net is the config of the device edge-1 when that is one of its names.

export type DeviceOfFile = (path: string) => string | undefined;

export function deviceOfFile(devices: ConfigRepositoryConfig['devices'], canonical: (name: string) => string): DeviceOfFile {
  const pattern = new RegExp(devices.file_pattern);
  return (path) => {
    const name = devices.files[path] ?? pattern.exec(path)?.[1];
    return name === undefined || name === '' ? undefined : canonical(name);
  };
}
