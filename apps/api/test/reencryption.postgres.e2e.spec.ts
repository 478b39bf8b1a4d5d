import { reencryptionSuite } from './reencryption-suite';

reencryptionSuite('postgres');
