// Virtual time for the instants the system stamps by itself. The workflow
// reads the test server's clock, but the database's `DEFAULT now()` columns,
// the activities and the API read the machine's: in a simulation each of
// them must read the simulated instant instead (a ledger entry of 2027 is not
// written "today"). The JavaScript side gets `now()`; in the run's scratch
// database a trigger replaces a stamp the database took from its own clock
// (a value equal to the transaction's now()) with the simulated instant.
import type { Pool } from '../db/pool';

/** Insert-time stamps the simulation shows or reads back (the export's `at`s, the observer's rows). */
const STAMPED: Record<string, string[]> = {
  credit_ledger: ['created_at'],
  usage_events: ['at'],
  outbox_events: ['created_at'],
  invoices: ['created_at'],
  workspaces: ['created_at'],
};

export class SimulationClock {
  private constructor(
    private readonly pool: Pool,
    private at: number,
  ) {}

  /** Installs the clock in the run's scratch database (never in a real one), reading `start`. */
  static async install(pool: Pool, start: number): Promise<SimulationClock> {
    const triggers = Object.entries(STAMPED).map(
      ([table, columns]) =>
        `CREATE TRIGGER simulation_stamp BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION simulation_stamp(${columns.map((c) => `'${c}'`).join(', ')});`,
    );
    await pool.query(`
      CREATE TABLE simulation_clock (now timestamptz NOT NULL);
      INSERT INTO simulation_clock VALUES ('${new Date(start).toISOString()}');
      CREATE FUNCTION simulation_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        simulated timestamptz := (SELECT now FROM simulation_clock);
        stamps jsonb := '{}';
        col text;
      BEGIN
        FOREACH col IN ARRAY TG_ARGV LOOP
          IF (to_jsonb(NEW) ->> col)::timestamptz = now() THEN
            stamps := stamps || jsonb_build_object(col, simulated);
          END IF;
        END LOOP;
        RETURN jsonb_populate_record(NEW, stamps);
      END $$;
      ${triggers.join('\n')}
    `);
    return new SimulationClock(pool, start);
  }

  /** The simulated instant (for activities and the API). */
  readonly now = (): number => this.at;

  /** Moves the simulated instant (before virtual time is moved there). */
  async set(at: number): Promise<void> {
    this.at = at;
    await this.pool.query(`UPDATE simulation_clock SET now = $1`, [new Date(at)]);
  }
}
