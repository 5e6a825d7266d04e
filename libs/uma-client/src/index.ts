/** A framework-free UMA 2.0 client for the Photoz API (browser and Node). */
export {};
