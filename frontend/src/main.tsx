import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './index.css';
import { DemoInboxPage } from './demo/DemoInboxPage';
import { DemoOrderPage } from './demo/DemoOrderPage';

const root = document.getElementById('root');
if (!root) throw new Error('Falta el elemento #root');
createRoot(root).render(
  <StrictMode>
    {/^\/inbox\/?$/.test(window.location.pathname) ? <DemoInboxPage /> : <DemoOrderPage />}
  </StrictMode>,
);
