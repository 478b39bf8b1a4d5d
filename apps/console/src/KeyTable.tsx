import { useState } from 'react';
import { keysSetDefault, type Client, type KeyHealthDto, type KeyListDto, type ReencryptionDto } from '@cmk/api-client';
import { call } from './api';
import { describeFailure, disableReason, setDefaultReason } from './messages';

const STATE_LABELS: Record<string, string> = { active: 'Active', disabling: 'Disabling…', disabled: 'Disabled' };

const HEALTH_LABELS: Record<string, string> = {
  healthy: 'Healthy',
  degraded: 'Degraded',
  unreachable: 'Unreachable',
  access_denied: 'Access denied',
  disabled: 'Disabled in KMS',
  pending_deletion: 'Pending deletion in KMS',
  not_found: 'Not found in KMS',
  unknown: 'Checking…',
};

/** The key's health from its canary probes: the state, and in words why when it is not healthy. */
function HealthCell(props: { health: KeyHealthDto | null | undefined }) {
  const { health } = props;
  if (!health) return <span className="muted">Not checked yet</span>;
  return (
    <>
      <span className={`health health-${health.state}`} title={`Last checked ${new Date(health.checkedAt).toLocaleString()}`}>
        {HEALTH_LABELS[health.state] ?? health.state}
      </span>
      {health.state !== 'healthy' && <div className="reason">{health.reason}</div>}
    </>
  );
}

/**
 * The key table. Row actions are enabled exactly when the API's `canSetDefault`/`canDisable`
 * say so (the same rules the commands apply); otherwise the reason is shown beside them.
 */
export function KeyTable(props: {
  client: Client;
  org: string;
  list: KeyListDto;
  run: ReencryptionDto | null;
  onDisable: (keyId: string) => void;
  onChanged: (message: string) => void;
  onError: (message: string) => void;
}) {
  const { client, org, list, run } = props;
  const [busy, setBusy] = useState<string | null>(null);

  const setDefault = async (keyId: string, name: string) => {
    setBusy(keyId);
    try {
      await call(keysSetDefault({ client, path: { org, keyId } }));
      props.onChanged(`"${name}" is now the default key.`);
    } catch (failure) {
      props.onError(describeFailure(failure));
    } finally {
      setBusy(null);
    }
  };

  if (list.keys.length === 0) {
    return <p>No customer managed keys yet: data keys are wrapped by the platform key. Add a key to protect them with a key you own.</p>;
  }
  return (
    <table className="keys">
      <caption className="visually-hidden">Customer managed keys</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Default</th>
          <th scope="col">State</th>
          <th scope="col">Health</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {list.keys.map((key) => {
          const defaultReasonId = `default-reason-${key.id}`;
          const disableReasonId = `disable-reason-${key.id}`;
          return (
            <tr key={key.id}>
              <th scope="row">
                {key.name}
                <div className="arn" title={key.awsKms.keyArn}>
                  {key.awsKms.keyArn}
                </div>
              </th>
              <td>AWS KMS</td>
              <td>{key.isDefault ? <span className="badge">Default</span> : <span className="muted">—</span>}</td>
              <td>
                <span className={`state state-${key.state}`}>{STATE_LABELS[key.state] ?? key.state}</span>
              </td>
              <td>
                <HealthCell health={key.health} />
              </td>
              <td className="row-actions">
                <div>
                  <button
                    type="button"
                    className="secondary"
                    disabled={!key.canSetDefault || busy !== null}
                    aria-describedby={key.canSetDefault ? undefined : defaultReasonId}
                    onClick={() => void setDefault(key.id, key.name)}
                  >
                    Set as default<span className="visually-hidden"> ({key.name})</span>
                  </button>
                  {!key.canSetDefault && (
                    <span id={defaultReasonId} className="reason">
                      {setDefaultReason(key, run)}
                    </span>
                  )}
                </div>
                <div>
                  <button
                    type="button"
                    className="secondary"
                    disabled={!key.canDisable || busy !== null}
                    aria-describedby={key.canDisable ? undefined : disableReasonId}
                    onClick={() => props.onDisable(key.id)}
                  >
                    Disable<span className="visually-hidden"> ({key.name})</span>
                  </button>
                  {!key.canDisable && (
                    <span id={disableReasonId} className="reason">
                      {disableReason(key, run)}
                    </span>
                  )}
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
