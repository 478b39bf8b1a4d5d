import { useCallback, useEffect, useState } from 'react';
import { awsSetupSetup, dataKeysSummary, keysList, type AwsSetupDto, type Client, type DataKeySummaryDto, type KeyListDto, type SessionDto } from '@cmk/api-client';
import { call } from './api';
import { describeFailure } from './messages';
import { useProgress } from './use-progress';
import { ProgressBanner } from './ProgressBanner';
import { KeyTable } from './KeyTable';
import { AddKeyDialog } from './AddKeyDialog';
import { DisableAllDialog, DisableDialog } from './DisableDialogs';
import { AwsSetupPanel } from './AwsSetupPanel';
import { HistoryTable } from './HistoryTable';
import { DataKeysChart } from './DataKeysChart';

type Dialog = { kind: 'add' } | { kind: 'disable'; keyId: string } | { kind: 'disable-all' } | null;

/** The Customer Managed Keys settings page of one org (admins of a qualifying edition). */
export function KeysPage({ client, session }: { client: Client; session: SessionDto }) {
  const org = session.org.login;
  const [list, setList] = useState<KeyListDto | null>(null);
  const [setup, setSetup] = useState<AwsSetupDto | null>(null);
  const [summary, setSummary] = useState<DataKeySummaryDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [historyVersion, setHistoryVersion] = useState(0);

  const reload = useCallback(async () => {
    try {
      const [keys, data] = await Promise.all([call(keysList({ client, path: { org } })), call(dataKeysSummary({ client, path: { org } }))]);
      setList(keys);
      setSummary(data);
      setHistoryVersion((v) => v + 1);
      setError(null);
    } catch (failure) {
      setError(describeFailure(failure));
    }
  }, [client, org]);

  useEffect(() => {
    void reload();
    call(awsSetupSetup({ client, path: { org } })).then(setSetup, (failure: unknown) => setError(describeFailure(failure)));
  }, [client, org, reload]);

  const { run, transport } = useProgress(client, org, list?.reencryption ?? null);
  const runKey = run ? `${run.id}:${run.state}` : 'none';
  useEffect(() => {
    if (runKey !== 'none') void reload();
  }, [runKey, reload]);

  const done = (message: string) => {
    setDialog(null);
    setNotice(message);
    void reload();
  };

  const disabling = dialog?.kind === 'disable' ? list?.keys.find((k) => k.id === dialog.keyId) : undefined;
  const activeKeys = list?.keys.filter((k) => k.state !== 'disabled') ?? [];

  return (
    <>
      <h1>Customer managed keys</h1>
      <p className="lead">
        Data keys of <strong>{session.org.name}</strong> are wrapped by the default key below, a key in your own AWS KMS. Disabling a key moves its data keys to
        another key first; nothing is lost.
      </p>
      <ProgressBanner client={client} org={org} run={run} transport={transport} keys={list?.keys ?? []} onRetried={() => done('Retry started.')} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <section className="card" aria-labelledby="keys-title">
        <div className="card-head">
          <h2 id="keys-title">Keys</h2>
          <div className="actions">
            <button type="button" onClick={() => setDialog({ kind: 'add' })}>
              Add key
            </button>
            <button type="button" className="danger" disabled={activeKeys.length === 0 || run?.state === 'running'} onClick={() => setDialog({ kind: 'disable-all' })}>
              Disable all keys
            </button>
          </div>
        </div>
        {list ? (
          <KeyTable
            client={client}
            org={org}
            list={list}
            run={run}
            onDisable={(keyId) => setDialog({ kind: 'disable', keyId })}
            onChanged={(message) => done(message)}
            onError={(message) => setError(message)}
          />
        ) : (
          <p>Loading keys…</p>
        )}
      </section>
      <div className="grid">
        {summary && <DataKeysChart summary={summary} />}
        {setup && <AwsSetupPanel setup={setup} />}
      </div>
      <HistoryTable client={client} org={org} version={historyVersion} />
      {dialog?.kind === 'add' && <AddKeyDialog client={client} org={org} onClose={() => setDialog(null)} onAdded={(name) => done(`Key "${name}" added.`)} />}
      {disabling && list && (
        <DisableDialog client={client} org={org} keyToDisable={disabling} keys={list.keys} onClose={() => setDialog(null)} onStarted={() => done(`Disabling "${disabling.name}".`)} />
      )}
      {dialog?.kind === 'disable-all' && <DisableAllDialog client={client} org={org} onClose={() => setDialog(null)} onStarted={() => done('Disabling all keys.')} />}
    </>
  );
}
