import { decodeCursor, encodeCursor, pageOf, pageWindow, renderedPageOf } from './pages';
import { ValidationFailedError } from './problem';

describe('page cursors', () => {
  it('round-trips the position of the last item', () => {
    const cursor = {
      createdAt: new Date('2026-11-21T10:00:00.123Z'),
      id: '01a1ffd8-6095-751a-b179-89df840ac6b5',
    };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[\w-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    '',
    'not base64 !',
    Buffer.from('{}').toString('base64url'),
    Buffer.from('["yesterday","x"]').toString('base64url'),
    Buffer.from('["2026-11-21T10:00:00.123Z","not-a-uuid"]').toString('base64url'),
  ])('answers 400 for %j', (text) => {
    expect(() => decodeCursor(text)).toThrow(ValidationFailedError);
  });
});

describe('pages', () => {
  const item = (n: number) => ({
    id: `01a1ffd8-6095-751a-b179-89df840ac6b${n}`,
    createdAt: `2026-11-21T10:00:0${n}.000Z`,
  });

  it('reads one more than the page holds, after the cursor it is given', () => {
    expect(pageWindow({ limit: 20 })).toEqual({ limit: 21, afterCreatedAt: null, afterId: null });
    const after = { createdAt: new Date(item(5).createdAt), id: item(5).id };
    expect(pageWindow({ limit: 3, cursor: encodeCursor(after) })).toEqual({
      limit: 4,
      afterCreatedAt: after.createdAt,
      afterId: after.id,
    });
  });

  it("names the last item's position as the next cursor only when an older page exists", () => {
    const page = pageOf([item(3), item(2), item(1)], 2);
    expect(page.data).toEqual([item(3), item(2)]);
    expect(decodeCursor(page.nextCursor!)).toEqual({
      createdAt: new Date(item(2).createdAt),
      id: item(2).id,
    });
    expect(pageOf([item(2), item(1)], 2)).toEqual({ data: [item(2), item(1)], nextCursor: null });
    expect(pageOf([], 2)).toEqual({ data: [], nextCursor: null });
  });

  it('sends rendered items as they are, with the page JSON.stringify would make of them', () => {
    const rendered = (n: number) => ({ ...item(n), json: JSON.stringify({ n, text: '"\n' }) });
    const page = renderedPageOf([rendered(3), rendered(2), rendered(1)], 2);
    expect(page.nextCursor).toBe(
      encodeCursor({ createdAt: new Date(item(2).createdAt), id: item(2).id }),
    );
    expect(page.body).toBe(
      JSON.stringify({
        data: [JSON.parse(rendered(3).json), JSON.parse(rendered(2).json)],
        nextCursor: page.nextCursor,
      }),
    );
    expect(renderedPageOf([rendered(1)], 2)).toEqual({
      body: `{"data":[${rendered(1).json}],"nextCursor":null}`,
      nextCursor: null,
    });
    expect(renderedPageOf([], 2).body).toBe('{"data":[],"nextCursor":null}');
  });
});
