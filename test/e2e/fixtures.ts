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
