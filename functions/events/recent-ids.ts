/**
 * The ids of changes this container handled recently. EventBridge delivers at least once, so a
 * redelivery to a warm container is recognised without any AWS call; redeliveries elsewhere are
 * harmless because every action re-reads the resource and finds it already in line.
 */
export class RecentIds {
  private readonly ids = new Map<string, true>();

  constructor(private readonly capacity = 1000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.set(id, true);
    // Map keeps insertion order: the first key is the oldest.
    while (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
  }
}
