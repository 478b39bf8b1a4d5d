import { useState } from 'react';
import type { AwsSetupDto } from '@cmk/api-client';

function CopyBlock({ id, label, text }: { id: string; label: string; text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="copy-block">
      <div className="copy-head">
        <h4 id={id}>{label}</h4>
        <button type="button" className="secondary small" onClick={() => void copy()} aria-describedby={id}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre tabIndex={0} aria-labelledby={id}>
        {text}
      </pre>
    </div>
  );
}

/** "AWS setup": this org's OIDC provider, audience and subject, and policies ready to paste. */
export function AwsSetupPanel({ setup }: { setup: AwsSetupDto }) {
  return (
    <section className="card" aria-labelledby="aws-title">
      <h2 id="aws-title">AWS setup</h2>
      <p>
        In your AWS account, register this service as an IAM OIDC identity provider, create a role it may assume, and let that role use your KMS key. Replace{' '}
        <code>{setup.placeholders.account}</code> and <code>{setup.placeholders.role}</code> with your account id and role name.
      </p>
      <dl className="facts">
        <div>
          <dt>OIDC provider URL</dt>
          <dd>
            <code>{setup.providerUrl}</code>
          </dd>
        </div>
        <div>
          <dt>Audience</dt>
          <dd>
            <code>{setup.audience}</code>
          </dd>
        </div>
        <div>
          <dt>Subject</dt>
          <dd>
            <code>{setup.subject}</code>
          </dd>
        </div>
      </dl>
      <CopyBlock id="trust-policy" label="Role trust policy" text={JSON.stringify(setup.trustPolicy, null, 2)} />
      <CopyBlock id="key-policy" label="Key policy statement" text={JSON.stringify(setup.keyPolicyStatement, null, 2)} />
    </section>
  );
}
