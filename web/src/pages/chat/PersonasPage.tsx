// Personas (`/chat/personas`): every persona the user may chat with — built-in (read only),
// shared by admins, and their own — and a form to create or edit their own (name, description,
// avatar emoji, system prompt, model). Admins may also publish shared ones and edit them.

import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { createPersona, deletePersona, listChatModels, listPersonas, updatePersona, type Persona, type PersonaInput } from '../../api/chat.ts';
import { useAuth } from '../../auth/context.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, Notice, SelectField, TextAreaField, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { PersonaAvatar } from '../../components/PersonaAvatar.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';

/** The server keeps at most 16 bytes of avatar: one emoji, even a composed one. */
const AVATAR_MAX_BYTES = 16;

type Panel = { kind: 'create' } | { kind: 'edit'; persona: Persona } | null;

export function PersonasPage() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const isAdmin = user?.role === 'admin';
  useDocumentTitle(t('personas.title'));
  const loaded = useAsync((signal) => listPersonas(signal), []);
  const models = useAsync((signal) => listChatModels(signal), []);
  const [rows, setRows] = useState<Persona[] | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Persona | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (loaded.data) setRows(loaded.data);
  }, [loaded.data]);

  const editable = (persona: Persona) => persona.kind === 'own' || (isAdmin && persona.kind === 'shared');

  const remove = async (persona: Persona) => {
    setBusy(true);
    setError(null);
    try {
      await deletePersona(persona.id);
      setRows((previous) => previous?.filter((row) => row.id !== persona.id) ?? previous);
      setMessage(t('personas.deleted', { name: persona.name }));
      if (panel?.kind === 'edit' && panel.persona.id === persona.id) setPanel(null);
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
      setDeleting(null);
    }
  };

  return (
    <div className="page" data-testid="personas-page">
      <div className="page-header">
        <div>
          <h1>{t('personas.title')}</h1>
          <p className="muted">{t('personas.subtitle')}</p>
        </div>
        <div className="toolbar-actions">
          <Link to="/chat" className="button button-secondary" data-testid="personas-back">
            {t('personas.backToChat')}
          </Link>
          <button
            type="button"
            className="button"
            onClick={() => {
              setMessage(null);
              setPanel({ kind: 'create' });
            }}
            disabled={panel?.kind === 'create'}
            data-testid="persona-add"
          >
            {t('personas.add')}
          </button>
        </div>
      </div>
      <div className="stack">
        {message ? (
          <Notice testId="persona-message">
            <p className="notice-body">{message}</p>
          </Notice>
        ) : null}
        {error !== null ? <FormAlert error={error} testId="persona-error" /> : null}
        {panel ? (
          <PersonaForm
            key={panel.kind === 'edit' ? panel.persona.id : 'new'}
            persona={panel.kind === 'edit' ? panel.persona : null}
            models={models.data?.map((model) => model.id) ?? []}
            canShare={isAdmin}
            onSaved={(persona, created) => {
              setRows((previous) =>
                created ? [...(previous ?? []), persona] : (previous ?? []).map((row) => (row.id === persona.id ? persona : row)),
              );
              setPanel(null);
              setMessage(t('personas.saved', { name: persona.name }));
            }}
            onCancel={() => setPanel(null)}
          />
        ) : null}
        {loaded.error !== null && !rows ? (
          <ErrorNotice error={loaded.error} testId="personas-load-error" />
        ) : !rows ? (
          <p className="muted">{t('common.loading')}</p>
        ) : rows.length === 0 ? (
          <p className="muted empty" data-testid="personas-empty">
            {t('personas.none')}
          </p>
        ) : (
          <ul className="persona-list" data-testid="persona-list">
            {rows.map((persona) => (
              <li key={persona.id} className="card persona-card" data-testid="persona-row" data-id={persona.id} data-kind={persona.kind}>
                <div className="persona-card-head">
                  <PersonaAvatar persona={persona} size={40} />
                  <div className="persona-card-title">
                    <h2 className="persona-name">{persona.name}</h2>
                    <span className={persona.kind === 'own' ? 'badge badge-ok' : 'badge badge-disabled'}>
                      {persona.kind === 'builtin'
                        ? t('personas.kinds.builtin')
                        : persona.kind === 'shared'
                          ? t('personas.kinds.shared')
                          : t('personas.kinds.own')}
                    </span>
                  </div>
                </div>
                {persona.description ? <p className="persona-description">{persona.description}</p> : null}
                <p className="muted small">{persona.model ? t('personas.modelIs', { model: persona.model }) : t('personas.anyModel')}</p>
                {persona.system_prompt ? (
                  <details className="persona-prompt">
                    <summary>{t('personas.systemPrompt')}</summary>
                    <p className="persona-prompt-text">{persona.system_prompt}</p>
                  </details>
                ) : null}
                {editable(persona) ? (
                  <div className="row-actions persona-actions">
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      onClick={() => {
                        setMessage(null);
                        setPanel({ kind: 'edit', persona });
                      }}
                      aria-label={t('personas.editLabel', { name: persona.name })}
                      data-testid="persona-edit"
                    >
                      {t('personas.edit')}
                    </button>
                    <button
                      type="button"
                      className="button button-danger button-small"
                      onClick={() => setDeleting(persona)}
                      aria-label={t('personas.deleteLabel', { name: persona.name })}
                      data-testid="persona-delete"
                    >
                      {t('personas.delete')}
                    </button>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </div>
      {deleting ? (
        <ConfirmDialog
          title={t('personas.deleteTitle', { name: deleting.name })}
          confirmLabel={busy ? t('personas.deleting') : t('personas.delete')}
          busy={busy}
          danger
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
          testId="persona-delete-dialog"
        >
          <p>{t('personas.deleteWarning')}</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function PersonaForm({
  persona,
  models,
  canShare,
  onSaved,
  onCancel,
}: {
  persona: Persona | null;
  models: string[];
  canShare: boolean;
  onSaved: (persona: Persona, created: boolean) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(persona?.name ?? '');
  const [avatar, setAvatar] = useState(persona?.avatar ?? '');
  const [description, setDescription] = useState(persona?.description ?? '');
  const [prompt, setPrompt] = useState(persona?.system_prompt ?? '');
  const [model, setModel] = useState(persona?.model ?? '');
  const [shared, setShared] = useState(persona?.kind === 'shared');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const choices = model && !models.includes(model) ? [...models, model] : models;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = t('personas.required');
    if (!prompt.trim()) found.system_prompt = t('personas.required');
    if (new TextEncoder().encode(avatar.trim()).length > AVATAR_MAX_BYTES) found.avatar = t('personas.avatarTooLong');
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    const input: PersonaInput = {
      name: name.trim(),
      description: description.trim() || null,
      system_prompt: prompt.trim(),
      model: model || null,
      params: persona?.params ?? null,
    };
    if (avatar.trim()) input.avatar = avatar.trim();
    if (canShare && (persona === null || persona.kind === 'shared')) input.shared = shared;
    setBusy(true);
    try {
      const saved = persona ? await updatePersona(persona.id, input) : await createPersona(input);
      onSaved(saved, persona === null);
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  const fields = fieldErrorsOf(error);
  const placed = Boolean(fields.name || fields.avatar || fields.description || fields.system_prompt || fields.model);

  return (
    <section className="panel" aria-labelledby="persona-form-heading" data-testid="persona-form">
      <h2 id="persona-form-heading" className="panel-title">
        {persona ? t('personas.editTitle', { name: persona.name }) : t('personas.createTitle')}
      </h2>
      <form className="form" noValidate onSubmit={(event) => void submit(event)}>
        {error !== null && !placed ? <FormAlert error={error} testId="persona-form-error" /> : null}
        <div className="form-grid">
          <TextField
            label={t('personas.name')}
            value={name}
            onChange={(event) => setName(event.target.value)}
            maxLength={64}
            required
            autoComplete="off"
            error={problems.name ?? fields.name}
            testId="persona-name"
          />
          <TextField
            label={t('personas.avatar')}
            value={avatar}
            onChange={(event) => setAvatar(event.target.value)}
            maxLength={16}
            autoComplete="off"
            hint={t('personas.avatarHint')}
            error={problems.avatar ?? fields.avatar}
            testId="persona-avatar-input"
          />
        </div>
        <TextField
          label={t('personas.description')}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
          maxLength={500}
          autoComplete="off"
          error={fields.description}
          testId="persona-description"
        />
        <TextAreaField
          label={t('personas.systemPrompt')}
          value={prompt}
          onChange={(event) => setPrompt(event.target.value)}
          rows={5}
          maxLength={20_000}
          required
          hint={t('personas.systemPromptHint')}
          error={problems.system_prompt ?? fields.system_prompt}
          testId="persona-prompt"
        />
        <SelectField label={t('personas.model')} value={model} onChange={(event) => setModel(event.target.value)} error={fields.model} testId="persona-model">
          <option value="">{t('personas.anyModelOption')}</option>
          {choices.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </SelectField>
        {canShare && (persona === null || persona.kind === 'shared') ? (
          <label className="checkbox">
            <input type="checkbox" checked={shared} onChange={(event) => setShared(event.target.checked)} data-testid="persona-shared" />
            {t('personas.shared')}
          </label>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy} data-testid="persona-save">
            {busy ? t('common.saving') : t('common.save')}
          </button>
          <button type="button" className="button button-secondary" onClick={onCancel} data-testid="persona-cancel">
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
