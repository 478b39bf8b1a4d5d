export * from './serve-oidc-issuer';
export { orgKeyStoreContract, type OrgKeyStoreContractOptions } from './org-key-store-contract';
