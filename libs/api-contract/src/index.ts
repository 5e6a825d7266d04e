/** The HTTP contract of both services, generated from their OpenAPI documents. */
export {};
