/**
 * pouchdb-core has one event emitter for the whole process, shared by every `PouchDB.defaults` class, so by every
 * embedded server of the process; its events name databases without the class's prefix. Two of its habits let
 * one server's databases disturb another's databases of the same name:
 *  - A database object's `created` / `destroyed` is followed, synchronously, by the process-wide one that
 *    pouchdb-all-dbs turns into `_all_dbs`, so a server marks its own announcements to hear only those. The mark
 *    names the server's class and the next announcement replaces it: a mark by name, cleared in a microtask,
 *    also let through another server's announcement of the same name made in the same run of microtasks
 *    (PouchDB opens and destroys databases in microtasks).
 *  - When one database object is destroyed, pouchdb-core tells every object of that name that it was destroyed
 *    (prepareForDestruction / onConstructorDestroyed in pouchdb-core 9): deleting `numbers/+1415` on one server
 *    ended the other server's live feeds and cached views of `numbers/+1415` and spent their one-time
 *    'destroyed' listeners, so when that server deleted its own database later no one announced it: `_all_dbs`
 *    kept listing it, `PUT /db` answered 412, and the next request created it again, empty. A server's database
 *    objects here hear only the destructions made by their own class.
 */

interface Announcement {
  Pouch: unknown;
  event: string;
  name: string;
}

/** The last `created` / `destroyed` a server's database object made: the process-wide one about to follow is it. */
let lastAnnouncement: Announcement | undefined;

export function announce(Pouch: unknown, event: string, name: string): void {
  const mine = { Pouch, event, name };
  lastAnnouncement = mine;
  // Gone once the announcement is past, so that one by a PouchDB of no server is not taken for it.
  queueMicrotask(() => {
    if (lastAnnouncement === mine) lastAnnouncement = undefined;
  });
}

export function isOwnAnnouncement(Pouch: unknown, event: string, name: unknown): boolean {
  return lastAnnouncement !== undefined && lastAnnouncement.Pouch === Pouch && lastAnnouncement.event === event && lastAnnouncement.name === name;
}

interface DestroyedEmitter {
  name: string;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/** pouchdb-core's registry of live database objects by name, the one its broadcast reads (and empties) per name. */
interface DestructionRegistry {
  _destructionListeners?: Map<string, unknown[]>;
}

/** The class whose database object is being destroyed right now (the broadcast runs synchronously inside it). */
let destroyingClass: unknown;

export function hearOnlyOwnDestruction(db: DestroyedEmitter, Pouch: unknown): void {
  const emit = db.emit.bind(db);
  db.emit = (event, ...args) => {
    if (event !== 'destroyed') return emit(event, ...args);
    // No argument: this object was destroyed itself; `true`: pouchdb-core's broadcast to the others of its name.
    if (args[0] !== true) {
      const outer = destroyingClass;
      destroyingClass = Pouch;
      try {
        return emit(event, ...args);
      } finally {
        destroyingClass = outer;
      }
    }
    if (destroyingClass === Pouch) return emit(event, ...args);
    // Another server's database of the same name: this one lives on, and must still hear its own server's destruction later.
    registerAgain(db, Pouch as DestructionRegistry);
    return false;
  };
}

function registerAgain(db: DestroyedEmitter, Pouch: DestructionRegistry): void {
  const registry = Pouch._destructionListeners;
  if (registry === undefined) return;
  const alive = registry.get(db.name) ?? [];
  if (!alive.includes(db)) alive.push(db);
  registry.set(db.name, alive);
}
