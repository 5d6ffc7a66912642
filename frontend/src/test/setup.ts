import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// findBy*/waitFor give up after this long. Testing Library's 1 s default is tight when Vitest runs the files in
// parallel on a 2-core machine (a different test timed out now and then under load, each passing alone); a
// condition that never holds still fails, only later.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
});
