/** A failed call to the backend's HTTP API, with the message the backend gave. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The backend's HTTP API as the CLI uses it. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  /** `body`: text is sent as text/plain (SQL), anything else as JSON. */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
      if (body !== undefined) headers['content-type'] = typeof body === 'string' ? 'text/plain' : 'application/json';
      const sent = body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) };
      response = await fetch(new URL(path, this.baseUrl), { method, headers, ...sent });
    } catch (err) {
      throw new ApiError(`cannot reach the backend at ${this.baseUrl}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, 0);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(`the backend answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, response.status);
    }
    if (!response.ok) throw new ApiError((parsed as { message?: string }).message ?? `HTTP ${response.status}`, response.status);
    return parsed as T;
  }
}
