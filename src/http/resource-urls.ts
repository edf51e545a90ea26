import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** Builds `Location` and download URLs: absolute under PUBLIC_BASE_URL, otherwise relative to the host. */
@Injectable()
export class ResourceUrls {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  to(path: string): string {
    return `${this.config.publicBaseUrl ?? ''}${path}`;
  }
}
