import { test as base, expect, type Page } from '@playwright/test';
import { E2E_TOKEN } from '../../playwright.config';

/** A page already authenticated against the browser host (the token URL sets the cookie). */
export const test = base.extend<{ app: Page }>({
  app: async ({ page }, use) => {
    await page.goto(`/?token=${E2E_TOKEN}`);
    await expect(page).toHaveURL(/\/$/);
    await use(page);
  },
});

export { expect };

/** Variants live in the host's data folder: ones an earlier run left for this model go first, through the UI. */
export async function deleteVariants(app: Page): Promise<void> {
  const rows = app.locator('[data-testid^="variant-row-"]');
  for (let left = await rows.count(); left > 0; left = await rows.count()) {
    const id = ((await rows.first().getAttribute('data-testid')) ?? '').replace(/^variant-row-/, '');
    await app.getByTestId(`variant-delete-${id}`).click();
    await app.getByTestId(`variant-delete-confirm-${id}`).click();
    await expect(rows).toHaveCount(left - 1);
  }
  await expect(app.getByTestId('variants-list')).toHaveAttribute('data-count', '0');
}
