import { reencryptionSuite } from './reencryption-suite';

reencryptionSuite('sqlite');
