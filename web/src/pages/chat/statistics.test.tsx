import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import { FakeChatServer } from '../../test/chatServer.ts';
import { jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

const STATS = {
  sessions: 3,
  messages: 14,
  by_day: {
    '2026-11-21': { replies: 4, prompt_tokens: 100, completion_tokens: 60 },
    '2026-11-20': { replies: 1, prompt_tokens: 10, completion_tokens: 5 },
  },
  by_model: {
    'claude-fake': { replies: 1, prompt_tokens: 10, completion_tokens: 5 },
    'fake-model': { replies: 4, prompt_tokens: 100, completion_tokens: 60 },
  },
};

describe('chat statistics and export', () => {
  it('the sidebar links to the statistics and downloads every chat', async () => {
    mockApi({ ...new FakeChatServer().routes(), 'GET /api/llm/statistics': () => jsonResponse(STATS) });
    const { router } = renderApp('/chat');
    const exportAll = await screen.findByTestId('chat-export-all');
    expect(exportAll).toHaveAttribute('href', '/api/llm/export');
    expect(exportAll).toHaveAttribute('download');
    expect(exportAll).toHaveTextContent('Export all my chats');

    await userEvent.click(screen.getByTestId('chat-statistics-link'));
    expect(router.state.location.pathname).toBe('/chat/statistics');
    expect(await screen.findByTestId('statistics-sessions')).toHaveTextContent('3');
    expect(screen.getByTestId('statistics-messages')).toHaveTextContent('14');
    expect(screen.getByTestId('statistics-replies')).toHaveTextContent('5');
    expect(screen.getByTestId('statistics-tokens')).toHaveTextContent('175');
    expect(screen.getByTestId('statistics-export-all')).toHaveAttribute('href', '/api/llm/export');

    // Models, busiest first.
    const rows = screen.getAllByTestId('statistics-model-row');
    expect(rows.map((row) => row.dataset.model)).toEqual(['fake-model', 'claude-fake']);
    expect(within(rows[0]!).getAllByRole('cell').map((cell) => cell.textContent)).toEqual(['fake-model', '4', '100', '60']);

    // Days, oldest first, with bars relative to the busiest day.
    const days = screen.getAllByTestId('statistics-day');
    expect(days.map((day) => day.dataset.day)).toEqual(['2026-11-20', '2026-11-21']);
    expect(days[0]).toHaveTextContent('Nov 20');
    expect(days[0]).toHaveTextContent('1 reply · 15 tokens');
    expect(days[1]).toHaveTextContent('4 replies · 160 tokens');
    expect(days[0]!.querySelector('.day-bar-fill')).toHaveStyle({ width: '25%' });
    expect(days[1]!.querySelector('.day-bar-fill')).toHaveStyle({ width: '100%' });
  });

  it('says so when there was nothing in the last 30 days', async () => {
    mockApi({
      ...new FakeChatServer().routes(),
      'GET /api/llm/statistics': () => jsonResponse({ sessions: 0, messages: 0, by_day: {}, by_model: {} }),
    });
    renderApp('/chat/statistics');
    expect(await screen.findByTestId('statistics-empty')).toHaveTextContent('No replies in the last 30 days.');
    expect(screen.getByTestId('statistics-sessions')).toHaveTextContent('0');
  });
});

describe('cost and budget on the statistics page', () => {
  it('shows the cost of the last 30 days, the cost per model and the budget left', async () => {
    const usage = { by_day: [], by_model: [{ key: 'fake-model', requests: 2, prompt_tokens: 14, completion_tokens: 10, cost: '0.000135' }] };
    const budget = { period: 'month', max_cost: '1', spent_cost: '0.000135', remaining_cost: '0.999865', max_tokens: null, spent_tokens: 24, resets_at: '2027-01-01T00:00:00Z' };
    mockApi({ ...new FakeChatServer().routes(), 'GET /api/llm/statistics': () => jsonResponse({ ...STATS, usage, budget }) });
    renderApp('/chat/statistics');
    expect(await screen.findByTestId('statistics-cost')).toHaveTextContent('0.000135');
    expect(screen.getByTestId('statistics-budget-cost')).toHaveTextContent('0.999865 left of 1 this month');
    expect(screen.getByTestId('statistics-cost-model')).toHaveTextContent('fake-model');
  });

  it('charts tokens and cost per day and cost per model', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const usage = {
      by_day: [{ key: today, requests: 3, prompt_tokens: 30, completion_tokens: 12, cost: '0.002' }],
      by_model: [
        { key: 'small', requests: 1, prompt_tokens: 10, completion_tokens: 2, cost: '0.0005' },
        { key: 'large', requests: 2, prompt_tokens: 20, completion_tokens: 10, cost: '0.0015' },
      ],
    };
    mockApi({ ...new FakeChatServer().routes(), 'GET /api/llm/statistics': () => jsonResponse({ ...STATS, usage }) });
    renderApp('/chat/statistics');
    const days = await screen.findByTestId('chart-my-days');
    expect(days).toHaveTextContent('Tokens and cost per day');
    // Today's prompt and completion bars, stacked; the cost as a line on its own axis.
    await waitFor(() => expect(days.querySelectorAll('.recharts-bar-rectangle path').length).toBeGreaterThanOrEqual(2));
    expect(days.querySelector('.recharts-line path')).not.toBeNull();
    const models = screen.getByTestId('chart-my-models');
    expect(models).toHaveTextContent('Cost by model');
    const bars = [...models.querySelectorAll('.recharts-bar-rectangle path')].map((bar) => bar.getAttribute('name'));
    expect(bars).toEqual(['large', 'small']);
  });

  it('says so when no budget is set', async () => {
    mockApi({ ...new FakeChatServer().routes(), 'GET /api/llm/statistics': () => jsonResponse(STATS) });
    renderApp('/chat/statistics');
    expect(await screen.findByTestId('statistics-no-budget')).toBeInTheDocument();
  });
});
