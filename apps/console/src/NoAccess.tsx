import type { SessionDto } from '@cmk/api-client';

const EDITION_NAMES: Record<string, string> = { free: 'Free', team: 'Team', enterprise: 'Enterprise', 'business-critical': 'Business Critical' };
const editionName = (edition: string) => EDITION_NAMES[edition] ?? edition;

/**
 * Why this token cannot manage keys, in sentences. Generic over roles: any role but admin (a
 * member, an auditor, roles added later) gets the same explanation, naming the role it has.
 */
export function NoAccess({ session }: { session: SessionDto }) {
  const reasons: string[] = [];
  if (!session.editionAllowsKeys) {
    reasons.push(
      `${session.org.name} is on the ${editionName(session.org.edition)} edition. Customer managed keys are part of the ${session.keyEditions.map(editionName).join(' and ')} editions; until the organization upgrades, its secrets are protected by the platform key.`,
    );
  }
  if (session.role !== 'admin') {
    reasons.push(
      `You are signed in as ${session.user}, with the ${session.role} role. Only organization admins can add, disable or change customer managed keys. Ask an admin of ${session.org.name} if a key needs to change.`,
    );
  }
  return (
    <section className="card narrow" aria-labelledby="noaccess-title">
      <h1 id="noaccess-title">You cannot manage keys here</h1>
      {reasons.map((reason) => (
        <p key={reason}>{reason}</p>
      ))}
    </section>
  );
}
