import { accountViewsSection } from './account-views';
import { carriersSection } from './carriers';
import { designDocsSection } from './design-docs';
import { documentsSection } from './documents';
import { huntSection } from './hunt';
import { importSection } from './import';
import { numbersSection } from './numbers';
import { pipelineSection } from './pipeline';
import { providersSection } from './providers';
import { scaleOutSection } from './scale-out';
import { storeSection } from './store';

export interface BenchSection {
  name: string;
  run(print: (line: string) => void): Promise<void>;
}

/** The benchmark sections, in the order they run. The raw store ceiling comes first: later ratios use it. */
export const sections: BenchSection[] = [storeSection, pipelineSection, scaleOutSection, documentsSection, numbersSection, designDocsSection, accountViewsSection, carriersSection, importSection, huntSection, providersSection];
