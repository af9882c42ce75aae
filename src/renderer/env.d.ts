// The renderer is bundled by Vite: CSS imports and import.meta.env come from its client types.
/// <reference types="vite/client" />
