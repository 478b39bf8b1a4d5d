import type { EventStore } from '@cmk/eventstore';
import { toProjectedEvent, applyIndexChanges, countsOf, dataKeyIndexChanges, type DataKeyIndexState, evolveKeyList, initialKeyListDoc, type KeyListDoc, evolveBannerDoc, initialBannerDoc, type ReencryptionBannerDoc } from '@cmk/read-models';

export interface ReferenceModel {
  readonly keyList: KeyListDoc;
  readonly banner: ReencryptionBannerDoc;
  readonly index: DataKeyIndexState;
  readonly counts: Record<string, number>;
}

/** The read models of one org folded in memory from the whole log: what Redis must hold. */
export async function referenceModel(store: EventStore, orgId: string): Promise<ReferenceModel> {
  let keyList = initialKeyListDoc(orgId);
  let banner = initialBannerDoc(orgId);
  let index: DataKeyIndexState = {};
  for (const recorded of await store.readAll()) {
    const projected = toProjectedEvent(recorded);
    if (!projected || projected.orgId !== orgId) continue;
    if (projected.category === 'keyring') {
      keyList = evolveKeyList(keyList, projected.event);
      banner = evolveBannerDoc(banner, projected.event);
    } else {
      index = applyIndexChanges(index, dataKeyIndexChanges(projected.event, Number(projected.position.commit)));
    }
  }
  return { keyList, banner, index, counts: countsOf(index) };
}
