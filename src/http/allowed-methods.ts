// Which methods each path of the API has, for the 405 answer a known path
// gives to a method it does not have (with the Allow header HTTP asks for).
import type { RouteOptions } from 'fastify';

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/v1/workspaces/:id/features/:feature` as a regular expression over a request path. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

export class AllowedMethods {
  private readonly paths = new Map<string, KnownPath>();

  /** onRoute hook: remembers the route's path and methods. */
  readonly onRoute = (route: RouteOptions): void => {
    const known = this.paths.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
    for (const m of [route.method].flat()) known.methods.add(m);
    this.paths.set(route.url, known);
  };

  /** The methods a request path has, sorted; empty when no route has the path. */
  of(path: string): string[] {
    const methods = new Set<string>();
    for (const known of this.paths.values()) if (known.pattern.test(path)) for (const m of known.methods) methods.add(m);
    return [...methods].sort();
  }
}
