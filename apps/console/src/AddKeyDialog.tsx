import { useState, type FormEvent } from 'react';
import { keysAdd, type Client } from '@cmk/api-client';
import { ApiFailure, call } from './api';
import { describeFailure } from './messages';
import { Modal } from './Modal';

type Field = 'name' | 'roleArn' | 'keyArn';

/** API field paths and domain codes → the form field they concern. */
const FIELD_OF: Record<string, Field> = { name: 'name', 'awsKms.roleArn': 'roleArn', 'awsKms.keyArn': 'keyArn', awsKms: 'roleArn' };
const CODE_FIELD: Record<string, Field> = { INVALID_KEY_NAME: 'name', KEY_NAME_TAKEN: 'name', INVALID_ROLE_ARN: 'roleArn', INVALID_KEY_ARN: 'keyArn' };

interface Diagnosis {
  readonly summary: string;
  readonly detail: string;
  readonly expected: { label: string; value: string }[];
}

function diagnose(failure: ApiFailure): Diagnosis | null {
  if (!failure.code.startsWith('KMS_')) return null;
  const d = failure.details;
  const text = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : undefined);
  const expected = [
    { label: 'Expected issuer (OIDC provider URL)', value: text('expectedIssuer') },
    { label: 'Expected audience', value: text('expectedAudience') },
    { label: 'Expected subject', value: text('expectedSubject') },
  ].filter((e): e is { label: string; value: string } => e.value !== undefined);
  return { summary: describeFailure(failure), detail: failure.message, expected };
}

/** "Add key": verified against KMS by the API before it is saved. */
export function AddKeyDialog({ client, org, onClose, onAdded }: { client: Client; org: string; onClose: () => void; onAdded: (name: string) => void }) {
  const [values, setValues] = useState<Record<Field, string>>({ name: '', roleArn: '', keyArn: '' });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [diagnosis, setDiagnosis] = useState<Diagnosis | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFieldErrors({});
    setDiagnosis(null);
    setError(null);
    try {
      await call(keysAdd({ client, path: { org }, body: { name: values.name, type: 'aws_kms', awsKms: { roleArn: values.roleArn, keyArn: values.keyArn } } }));
      onAdded(values.name.trim());
    } catch (failure) {
      if (!(failure instanceof ApiFailure)) return setError(describeFailure(failure));
      const fields = failure.details['fields'];
      if (failure.code === 'VALIDATION_FAILED' && typeof fields === 'object' && fields !== null) {
        const errors: Partial<Record<Field, string>> = {};
        for (const [path, messages] of Object.entries(fields as Record<string, string[]>)) {
          const field = FIELD_OF[path];
          if (field) errors[field] = messages.join('. ');
        }
        setFieldErrors(errors);
        if (Object.keys(errors).length === 0) setError(failure.message);
      } else if (CODE_FIELD[failure.code]) {
        setFieldErrors({ [CODE_FIELD[failure.code]]: describeFailure(failure) });
      } else {
        const found = diagnose(failure);
        if (found) setDiagnosis(found);
        else setError(describeFailure(failure));
      }
    } finally {
      setBusy(false);
    }
  };

  const input = (field: Field, label: string, hint: string) => (
    <div className="field">
      <label htmlFor={`add-${field}`}>{label}</label>
      <input
        id={`add-${field}`}
        value={values[field]}
        onChange={(event) => setValues({ ...values, [field]: event.target.value })}
        aria-invalid={fieldErrors[field] ? true : undefined}
        aria-describedby={`add-${field}-hint${fieldErrors[field] ? ` add-${field}-error` : ''}`}
        spellCheck={false}
        autoComplete="off"
      />
      <span id={`add-${field}-hint`} className="hint">
        {hint}
      </span>
      {fieldErrors[field] && (
        <span id={`add-${field}-error`} className="field-error">
          {fieldErrors[field]}
        </span>
      )}
    </div>
  );

  return (
    <Modal title="Add key" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        {input('name', 'Name', 'Shown in this table, e.g. Production.')}
        {input('roleArn', 'Role ARN', 'arn:aws:iam::<account>:role/<name>: the role this service assumes.')}
        {input('keyArn', 'Key ARN or alias ARN', 'arn:aws:kms:<region>:<account>:key/<id> or …:alias/<name>.')}
        {diagnosis && (
          <div className="diagnosis" role="alert">
            <p>
              <strong>{diagnosis.summary}</strong>
            </p>
            {diagnosis.expected.length > 0 && (
              <dl>
                {diagnosis.expected.map((e) => (
                  <div key={e.label}>
                    <dt>{e.label}</dt>
                    <dd>
                      <code>{e.value}</code>
                    </dd>
                  </div>
                ))}
              </dl>
            )}
            <details>
              <summary>What AWS said</summary>
              <p>{diagnosis.detail}</p>
            </details>
          </div>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={busy}>
            {busy ? 'Verifying with AWS KMS…' : 'Add key'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
